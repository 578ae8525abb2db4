"""What runs leave behind: saved HDF5 models, a look inside them, and the run history."""
