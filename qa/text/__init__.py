"""Text analysis every stage shares: words and stems, sentences, names, numbers, reported speech."""
