# tests/tree
