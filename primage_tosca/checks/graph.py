"""PT320, PT321: requirements name existing node templates and form no cycle."""
