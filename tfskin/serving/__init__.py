"""Export trained generators as versioned SavedModels for TensorFlow Serving."""
