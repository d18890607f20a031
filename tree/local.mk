# tree/: the pure znode tree.
