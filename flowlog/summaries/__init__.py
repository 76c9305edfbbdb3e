"""Summary protos as TensorBoard's plugins expect them: scalars, histograms, images, text, hparams, media, plugin data."""
