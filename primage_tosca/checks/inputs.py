"""PT400-PT403: inputs declared, supplied and used."""
