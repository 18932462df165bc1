"""MOOC quizzes: several questions, scored attempts, a maximum of attempts per quiz, a pass mark per run

Revision ID: fc926a0233e6
Revises: e3a1c7d52f86
Create Date: 2026-12-21 10:00:00.000000

Until now a quiz was one question, and any answer, even wrong, completed it (an item_completions row with the
choice given). From now on every submission is an attempt with a score, and when its run has a pass mark a quiz
is done only once an attempt reaches it.

Backfill:
- each existing quiz becomes a quiz of one question: a question without text (the item's body asks it, as
  before) that holds all its choices;
- each quiz answered so far becomes attempt number 1, scored from the choice recorded (100 % or 0 %), with that
  answer, so the learner still sees the feedback of what she chose and it counts as one of her attempts;
- the completions themselves are left as they are: an answered quiz stays done, **treated as passed** whatever
  its score. Those learners answered under the rule of the time (any answer counts, one answer, no retry); taking
  the tick back now would re-open courses they completed and attestations they may have shown, for a rule they
  were never told about. No run has a pass mark yet (the column is new), so nothing else changes until a trainer
  sets one; from then on, new attempts are held to it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fc926a0233e6'
down_revision = 'e3a1c7d52f86'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_attempts', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_course_items_max_attempts_positive'),
                                         sa.text('max_attempts IS NULL OR max_attempts >= 1'))

    with op.batch_alter_table('course_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiz_pass_mark', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_course_runs_quiz_pass_mark_percent'),
                                         sa.text('quiz_pass_mark IS NULL OR (quiz_pass_mark >= 1 AND quiz_pass_mark <= 100)'))

    op.create_table('quiz_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['course_items.id'], name=op.f('fk_quiz_questions_item_id_course_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_questions')),
    sa.UniqueConstraint('item_id', 'position', name='uq_quiz_questions_item_position')
    )
    with op.batch_alter_table('quiz_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_questions_item_id'), ['item_id'], unique=False)

    # Every quiz so far: one question, without text, holding all its choices (numbered in the items' order).
    op.execute("INSERT INTO quiz_questions (item_id, position, text) "
               "SELECT item_id, 1, '' FROM quiz_choices GROUP BY item_id ORDER BY item_id")
    with op.batch_alter_table('quiz_choices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_id', sa.Integer(), nullable=True))
    op.execute("UPDATE quiz_choices SET question_id = "
               "(SELECT quiz_questions.id FROM quiz_questions WHERE quiz_questions.item_id = quiz_choices.item_id)")
    with op.batch_alter_table('quiz_choices', schema=None) as batch_op:
        batch_op.alter_column('question_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_quiz_choices_question_id'), ['question_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_quiz_choices_question_id_quiz_questions'), 'quiz_questions', ['question_id'], ['id'], ondelete='CASCADE')

    op.create_table('quiz_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('submission_key', sa.String(length=40), nullable=True),
    sa.CheckConstraint('correct >= 0 AND correct <= total', name=op.f('ck_quiz_attempts_correct_within_total')),
    sa.CheckConstraint('score >= 0 AND score <= 100', name=op.f('ck_quiz_attempts_score_percent')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_quiz_attempts_enrolment_id_enrolments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['course_items.id'], name=op.f('fk_quiz_attempts_item_id_course_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempts')),
    sa.UniqueConstraint('enrolment_id', 'item_id', 'number', name='uq_quiz_attempts_enrolment_item_number'),
    sa.UniqueConstraint('enrolment_id', 'submission_key', name='uq_quiz_attempts_enrolment_submission')
    )
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_attempts_enrolment_id'), ['enrolment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_attempts_item_id'), ['item_id'], unique=False)

    op.create_table('quiz_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('choice_id', sa.Integer(), nullable=True),
    sa.Column('is_correct', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_quiz_answers_attempt_id_quiz_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['choice_id'], ['quiz_choices.id'], name=op.f('fk_quiz_answers_choice_id_quiz_choices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['quiz_questions.id'], name=op.f('fk_quiz_answers_question_id_quiz_questions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_answers'))
    )
    with op.batch_alter_table('quiz_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_answers_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_answers_choice_id'), ['choice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_answers_question_id'), ['question_id'], unique=False)

    # Each quiz answered so far: attempt 1, scored from the choice recorded, with that answer. (A completion whose
    # choice has since been edited away has no answer to show: it keeps counting, without an attempt.) The
    # completions are not touched: see the docstring, they stay done, treated as passed.
    op.execute(
        "INSERT INTO quiz_attempts (enrolment_id, item_id, number, correct, total, score, submitted_at) "
        "SELECT item_completions.enrolment_id, item_completions.item_id, 1, "
        "CASE WHEN quiz_choices.is_correct THEN 1 ELSE 0 END, 1, "
        "CASE WHEN quiz_choices.is_correct THEN 100 ELSE 0 END, item_completions.completed_at "
        "FROM item_completions "
        "JOIN course_items ON course_items.id = item_completions.item_id AND course_items.kind = 'quiz' "
        "JOIN quiz_choices ON quiz_choices.id = item_completions.choice_id AND quiz_choices.item_id = item_completions.item_id "
        "ORDER BY item_completions.id"
    )
    op.execute(
        "INSERT INTO quiz_answers (attempt_id, question_id, choice_id, is_correct) "
        "SELECT quiz_attempts.id, quiz_choices.question_id, quiz_choices.id, quiz_choices.is_correct "
        "FROM quiz_attempts "
        "JOIN item_completions ON item_completions.enrolment_id = quiz_attempts.enrolment_id "
        "AND item_completions.item_id = quiz_attempts.item_id "
        "JOIN quiz_choices ON quiz_choices.id = item_completions.choice_id "
        "ORDER BY quiz_attempts.id"
    )


def downgrade():
    # Back to one question per quiz: the choices of a quiz of several questions end up in one list (their
    # questions' text is lost), and the attempts with their scores are dropped. Completions stay.
    op.drop_table('quiz_answers')
    op.drop_table('quiz_attempts')

    with op.batch_alter_table('quiz_choices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_quiz_choices_question_id_quiz_questions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_quiz_choices_question_id'))
        batch_op.drop_column('question_id')

    with op.batch_alter_table('quiz_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_questions_item_id'))
    op.drop_table('quiz_questions')

    with op.batch_alter_table('course_runs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_course_runs_quiz_pass_mark_percent'), type_='check')
        batch_op.drop_column('quiz_pass_mark')

    with op.batch_alter_table('course_items', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_course_items_max_attempts_positive'), type_='check')
        batch_op.drop_column('max_attempts')
