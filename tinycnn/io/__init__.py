"""Reading and writing files the user owns: weights and checkpoints.

weights.py        `load(path)` and `save(state_dict_or_module, path)`, by file suffix
                  (exported as `tinycnn.load` and `tinycnn.save`)
pth_reader.py     torch.save's files, zip and legacy formats, without torch
torch_pickle.py   the restricted unpickler behind it: tensors only, no code run
torch_dtypes.py   torch's storage types and their NumPy dtypes
pth_writer.py     writes torch's zip format, which torch.load(weights_only=True) reads
npz.py            NumPy's .npz
safetensors.py    the safetensors format
bfloat16.py       bfloat16 (which NumPy lacks) read as float32
errors.py         WeightFileError (a file that cannot be read), RefusedPickleError
budget.py         how much a load may allocate: 16 x the file's size (or 64 MiB), checked
                  before allocating
atomic.py         atomic_write: a failed save never breaks an existing file
imagenet_classes.py   the names of the 1,000 ImageNet classes (imagenet_classes.txt)
"""
