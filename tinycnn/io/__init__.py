"""Reading and writing files the user owns: weights and checkpoints."""
