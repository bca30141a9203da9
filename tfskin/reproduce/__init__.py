"""Each paper's experiment as one resumable command (``tfskin reproduce PAPER``)."""
