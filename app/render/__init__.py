"""Rendering of full-size jobs, wherever it happens.

- embedded mode: `app.jobs.runner.JobRunner` runs jobs in this process's pool (the local adapter);
- cluster mode: `queue.QueueRunner` puts typed tasks (`tasks.py`) on a SAQ queue in Redis, and
  `toonify worker` processes (`worker.py`) take them and run the same JobRunner code against
  object storage, publishing job events through Redis (`events.py`).
"""
