"""Each chapter's figures, drawn from computed tables (one module per chapter)."""
