"""PT600: Ansible Galaxy artifact specs are well formed."""
