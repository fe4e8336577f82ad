"""Reading sources: files, folders and URLs into ``Article`` objects."""
