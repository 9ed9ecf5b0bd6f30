"""From judgements to preference pairs: the pair type, resolution policies,
graded strength, and the TRL-ready export."""
