// The campaign dashboard refreshes its figures while the campaign runs: the server renders
// the fragment, this only swaps it in. Without scripts the page is complete, just not live.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  var every = Number(live.dataset.refresh || "15") * 1000;
  function running() {
    var figures = document.getElementById("figures");
    return figures && figures.dataset.running === "yes";
  }
  function refresh() {
    if (!running()) { return; }
    fetch(live.dataset.src, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        // Signed out meanwhile: the full page (the login form) rather than a fragment.
        if (response.redirected) { window.location.reload(); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) { if (html) { live.innerHTML = html; } })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
}());
