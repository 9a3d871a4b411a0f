"""PT500-PT502: scalar units, ports and port ranges are well formed."""
