"""TF1 programs in the classic tutorials' style, each `main(tf)` against a module `tf`: run by
the test suite under flowlog and by benchmarks/tf1_programs_differential.py under TensorFlow."""

PROGRAMS = ["basic_ops", "linear_regression", "logistic_regression", "nearest_neighbor", "mlp",
            "autoencoder", "gan", "embeddings", "scopes_reuse", "gradient_clipping",
            "fully_connected_feed", "summaries", "save_restore", "meta_graph_restore",
            "moving_average_eval", "monitored_training", "cifar10_cnn",
            "app_flags", "cnn_nn", "cnn_layers", "losses_metrics", "control_flow",
            "data_pipeline"]
