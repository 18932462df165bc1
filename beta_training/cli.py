"""`flask` commands: demo data, users and roles, the worker, mail delivery and the periodic jobs run by hand
(or from cron where no worker runs)."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from beta_training.accounts import services as accounts
from beta_training.accounts.models import Role
from beta_training import schedule  # noqa: F401 — registers the periodic jobs (worker, admins' page)
from beta_training.core import db as core_db
from beta_training.core import jobs
from beta_training.core.mail import deliver_pending

users_cli = AppGroup("users", help="Comptes et rôles.")
cohorts_cli = AppGroup("cohorts", help="Sessions Alpha.")
courses_cli = AppGroup("courses", help="MOOC : contenus.")
sheets_cli = AppGroup("sheets", help="Fiches produit.")
products_cli = AppGroup("products", help="Produits et comités d'investissement.")
forum_cli = AppGroup("forum", help="Forums.")
mail_cli = AppGroup("mail", help="Boîte d'envoi des courriels.")
privacy_cli = AppGroup("privacy", help="Données personnelles.")


@click.command("seed-demo")
@core_db.writes
def seed_demo_command():
    """Load the demo content (idempotent). Refused with the production configuration."""
    if not current_app.config["DEMO_SEEDING_ALLOWED"]:
        raise click.ClickException("seed-demo is refused with the production configuration.")
    from beta_training.demo import seed_demo

    seed_demo()  # the forum's demo posts write notification emails, their links on BASE_URL
    core_db.commit()
    click.echo("Demo data loaded.")


@click.command("scale-data")
@click.option("--learners", type=int, default=100_000, show_default=True, help="Learners enrolled in the open MOOC run.")
@click.option("--progress", type=int, default=1_000_000, show_default=True, help="Item completions and quiz attempts.")
@click.option("--posts", type=int, default=200_000, show_default=True, help="Forum posts in the run's forum.")
@click.option("--long-thread", type=int, default=1_000, show_default=True, help="Replies of the longest thread.")
@click.option("--applications", type=int, default=5_000, show_default=True, help="Applications to one Alpha session.")
@click.option("--sheets", type=int, default=2_000, show_default=True, help="Fiches produit (most sent for review).")
@click.option("--password", envvar="SCALE_DATA_PASSWORD", required=True,
              help="Password of every generated account (or SCALE_DATA_PASSWORD).")
@click.option("--seed", type=int, default=16, show_default=True)
@core_db.writes
def scale_data_command(learners, progress, posts, long_thread, applications, sheets, password, seed):
    """Generate a MOOC opening at scale into an empty, disposable database, for the load benchmark
    (benchmarks/load.py). Refused with the production configuration."""
    if not current_app.config["DEMO_SEEDING_ALLOWED"]:
        raise click.ClickException("scale-data is refused with the production configuration.")
    from beta_training import scale_data

    if applications > learners or sheets > learners or long_thread + 1 > posts:
        raise click.ClickException("--applications and --sheets cannot exceed --learners, nor --long-thread --posts.")
    sizes = scale_data.Sizes(learners=learners, progress=progress, posts=posts, long_thread=long_thread,
                             applications=applications, sheets=sheets)
    try:
        timings = scale_data.generate(sizes, password=password, seed=seed, echo=click.echo)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"generated in {sum(timings.values()):.1f} s; sign in as "
               + ", ".join(f"{role}: {email}" for role, email in scale_data.STAFF_EMAILS.items()))


@users_cli.command("grant")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@core_db.writes
def grant_command(email, role):
    """Grant ROLE to the account with EMAIL."""
    user = accounts.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    changed = accounts.grant_role(user, Role(role), actor=None)
    core_db.commit()
    click.echo(f"{email}: {role} {'granted' if changed else 'already held'}.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--first-name", default="Admin")
@click.option("--last-name", default="beta.gouv.fr")
@click.password_option(help="Asked for when not given.")
@core_db.writes
def create_admin_command(email, first_name, last_name, password):
    """Create a confirmed admin account (or make an existing account admin)."""
    user = accounts.get_user_by_email(email)
    if user is None:
        if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
            raise click.ClickException(
                f"The password must have at least {current_app.config['PASSWORD_MIN_LENGTH']} characters."
            )
        user = accounts.create_user(
            email=email, password=password, first_name=first_name, last_name=last_name, confirmed=True
        )
    accounts.grant_role(user, Role.ADMIN, actor=None)
    core_db.commit()
    click.echo(f"{user.email} is an admin.")


@click.command("worker")
def worker_command():
    """Run a worker (Procfile `worker`): the mail and the periodic jobs, until SIGTERM. Start one or more."""
    try:
        jobs.run_worker(current_app._get_current_object())
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error


@mail_cli.command("deliver")
@click.option("--retry-failed", is_flag=True, help="Also retry messages that exhausted their attempts.")
@core_db.writes
def deliver_command(retry_failed):
    """Deliver the pending messages that are due (cron every minute, where no worker runs)."""
    counts = deliver_pending(retry_failed=retry_failed)
    click.echo(f"sent: {counts['sent']}, failed: {counts['failed']}")


@cohorts_cli.command("expire-offers")
@core_db.writes
def expire_offers_command():
    """Expire offers past their deadline and offer the seats to the waiting list (idempotent, cron)."""
    click.echo(f"expired offers: {jobs.run_now('cohorts.expire_offers')}")


@cohorts_cli.command("send-reminders")
@core_db.writes
def send_reminders_command():
    """Offers expiring within 48 h, sessions starting within 3 days: one reminder each (cron)."""
    counts = jobs.run_now("cohorts.send_reminders")
    click.echo(f"offer reminders: {counts['offers']}, session reminders: {counts['sessions']}")


@courses_cli.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--prune", is_flag=True, help="Delete the items that are no longer in the folder (and their progress).")
@core_db.writes
def import_course_command(path, prune):
    """Create or update a course from a folder of YAML and Markdown (idempotent)."""
    from beta_training.courses.content import ContentError, import_course

    try:
        course = import_course(path, prune=prune, max_file_bytes=current_app.config["RESOURCE_MAX_BYTES"])
    except (ContentError, KeyError, ValueError) as error:
        raise click.ClickException(f"{path}: {error}") from error
    core_db.commit()
    click.echo(f"imported: {course.slug}")


@courses_cli.command("refresh-dashboard")
@core_db.writes
def refresh_dashboard_command():
    """Rebuild every run's dashboard counts from the learners' progress (after a bulk load, or to repair them)."""
    from beta_training.courses.services import recompute_all_dashboards

    runs = recompute_all_dashboards()
    core_db.commit()
    click.echo(f"dashboard counts rebuilt: {runs} runs")


@courses_cli.command("export")
@click.argument("slug")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
def export_course_command(slug, path):
    """Write a course to a folder of YAML and Markdown (the format `flask courses import` reads)."""
    from beta_training.courses.content import export_course
    from beta_training.courses.queries import get_course_outline

    course = get_course_outline(slug)
    if course is None:
        raise click.ClickException(f"No course {slug}.")
    export_course(course, path)
    click.echo(f"exported: {slug} → {path}")


@sheets_cli.command("remind")
@core_db.writes
def remind_sheets_command():
    """Tell trainers about sheets waiting for review more than 48 h (each sheet once; cron)."""
    click.echo(f"sheets waiting over 48 h: {jobs.run_now('sheets.remind')}")


@sheets_cli.command("roadmap-reminders")
@core_db.writes
def roadmap_reminders_command():
    """Ask authors of approved sheets to update their roadmap at +1, +3 and +6 months (idempotent; cron)."""
    click.echo(f"roadmap reminders: {jobs.run_now('sheets.roadmap_reminders')}")


@products_cli.command("committee-reminders")
@core_db.writes
def committee_reminders_command():
    """Remind each team of its comité d'investissement 45 days before it (once per comité; cron)."""
    click.echo(f"committee reminders: {jobs.run_now('products.committee_reminders')}")


@forum_cli.command("send-notifications")
def send_notifications_command():
    """Email each new post to the people who want each message, once its grace period is over (cron, every
    minute). Idempotent: never two emails for one post, even from two runs at once."""
    click.echo(f"forum notifications: {jobs.run_now('forum.send_notifications')}")


@forum_cli.command("send-digests")
@core_db.writes
def send_digests_command():
    """One email per person choosing the daily digest, with the posts not yet emailed (cron, daily).
    Idempotent: a post is never in two digests."""
    click.echo(f"forum digests: {jobs.run_now('forum.send_digests')}")


@privacy_cli.command("purge")
@core_db.writes
def purge_retention_command():
    """Warn, then erase, accounts inactive past RETENTION_INACTIVE_YEARS; purge sign-in events, old outbox messages,
    drafts and form keys past their durations (idempotent; daily)."""
    counts = jobs.run_now("privacy.purge_retention")
    click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))


def register_commands(app) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(scale_data_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(mail_cli)
    app.cli.add_command(cohorts_cli)
    app.cli.add_command(courses_cli)
    app.cli.add_command(sheets_cli)
    app.cli.add_command(products_cli)
    app.cli.add_command(forum_cli)
    app.cli.add_command(privacy_cli)
