"""The graph view: a `GraphDef` as name scopes (model, tree, series), DOT (dot, edges), pictures
laid out by graphviz `dot` (view, svg), and Keras model configs as layer graphs (keras)."""
