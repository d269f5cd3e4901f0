"""Live analysis of the far end's audio, 20 ms frames of 8 kHz 16-bit PCM at a time.

Pure Python and numpy (plus webrtcvad): no pjsua2 here, so every detector is tested on
synthetic signals. The call worker feeds frames in; segments (speech, tones) come out.
"""
