"""The forum of each MOOC run and Alpha session: threads, answers, moderation, notifications and search."""
