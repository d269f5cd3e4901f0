// A word of the transcript plays the recording from where it was said (issue 18).
document.addEventListener("click", function (event) {
  var word = event.target.closest("button.word");
  if (!word) return;
  var transcript = word.closest(".transcript");
  var player = document.getElementById(transcript && transcript.dataset.player);
  if (!player) return;
  player.currentTime = parseFloat(word.dataset.start);
  player.play();
});
