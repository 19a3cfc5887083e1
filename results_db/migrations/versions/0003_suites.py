"""suite runs, suite membership of runs, baselines

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'suite_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('file', sa.Text(), nullable=False),
        sa.Column('spec', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('baseline', sa.String(length=200), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'suite_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('suite_run_id', sa.Integer(), nullable=False),
        sa.Column('job_key', sa.String(length=500), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['suite_run_id'], ['suite_runs.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['run_id'], ['runs.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('suite_run_id', 'job_key'),
    )
    with op.batch_alter_table('suite_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suite_members_suite_run_id'), ['suite_run_id'],
                              unique=False)
    op.create_table(
        'baselines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('suite_run_id', sa.Integer(), nullable=True),
        sa.Column('run_ids', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['suite_run_id'], ['suite_runs.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('baselines')
    with op.batch_alter_table('suite_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suite_members_suite_run_id'))
    op.drop_table('suite_members')
    op.drop_table('suite_runs')
