"""Layer L5: the classic architectures, one file each, built as torchvision builds them."""
