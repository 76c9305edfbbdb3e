"""The writers users call: torch/tensorboardX's `SummaryWriter`, TF1's `FileWriter`, the global writer."""
