"""The RL hand-off: a Duelist reward model driving TRL's GRPO/RLOO and OpenRLHF.

Duelist's own encoding (`engine/models/encoding.py`) is the truth. Three routes reach it:
- `reward_function(model)`: a TRL reward callable that scores with Duelist's encoder
  and fast scorer (`reward_function.py`);
- the model dir as a path: it carries a pad token, a chat template that renders a
  conversation the way Duelist encodes it, and mean/std reward statistics
  (written with every model dir: `engine/models/chat_template.py`, `rl_handoff.py`, and
  `engine/scoring/reward_stats.py`, which live below this package because training and
  scoring use them too);
- `duelist serve`: an HTTP reward server, including OpenRLHF's remote protocol
  (`server.py`).
`policy_training.py` runs the seed's step 2 (`duelist llm --trainer grpo|rloo`).

Nothing heavy is imported at package import time.
"""
