"""TF1 programs in the classic tutorials' style, each `main(tf)` against a module `tf`: run by
the test suite under flowlog and by benchmarks/tf1_programs_differential.py under TensorFlow."""

PROGRAMS = ["cnn_nn", "cnn_layers", "losses_metrics", "control_flow", "data_pipeline"]
