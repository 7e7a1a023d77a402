"""The scheduler: persistent jobs for reflection prompts, digests and other features' sweeps.

- ``triggers``: the schedule grammar (``weekly mon 09:00``, cron), validation, fire times.
- ``setup``: APScheduler's AsyncIOScheduler on the project's database, with its job defaults.
- ``leader``: which process runs the scheduler (a PostgreSQL advisory lock; SQLite: this one).
- ``current``: the runtime the job functions read when they run (jobs carry only ids).
- ``jobs``: the module-level job functions APScheduler stores by reference.
- ``service``: ``SchedulerService``, what the composition root starts and features talk to.

Nothing is imported here, so ``bot.services`` may use ``bot.scheduler.triggers`` while the jobs
use the services without an import cycle.
"""
