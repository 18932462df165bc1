"""Alpha sessions (cohorts): sessions, programme and speakers; applications and seats come with issue #3."""
