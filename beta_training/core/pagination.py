"""Pagination of multi-column selects (Flask-SQLAlchemy's paginate() keeps only the first column)."""

from flask import current_app, request
from flask_sqlalchemy.pagination import SelectPagination

from beta_training.extensions import db


class RowPagination(SelectPagination):
    def _query_items(self) -> list:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select).all())

    def _query_count(self) -> int:
        total = self._query_args.get("total")
        return total() if total is not None else super()._query_count()


def paginate_rows(select, per_page: int | None = None, total=None) -> RowPagination:
    """`total`: a function giving the number of rows when the caller knows a cheaper way than counting `select`."""
    page = request.args.get("page", 1, type=int)
    return RowPagination(
        select=select,
        total=total,
        session=db.session(),
        page=max(page, 1),
        per_page=per_page or current_app.config["USERS_PER_PAGE"],
        max_per_page=None,
        error_out=False,
        count=True,
    )
