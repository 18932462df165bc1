"""Cross-cutting pieces every domain uses: time, states, database commit, mail outbox, auth, errors, pages."""
