"""How text looks to a person, shared by the CLI and the Textual screens: untrusted
text made safe, accuracies with their n, and the formats of ranks, quality and judgements."""
