"""OSTrack with an IoU-quality head, built on ltr-ostrack's public extension points."""
