"""PT310-PT314: every type a template or type definition names is defined."""
