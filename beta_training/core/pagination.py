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


class KeyedPagination(RowPagination):
    """The page's keys picked by the select (filtered and sorted, what the count counts), then its rows read by
    `rows_for(keys)`, in the keys' order: the joins that make a row run for the page's rows only, not for
    every row the sort goes through (SQLite joins before it sorts)."""

    def _query_items(self) -> list:
        keys = [key for key, *_rest in super()._query_items()]
        return self._query_args["rows_for"](keys) if keys else []


def paginate_keys(select, rows_for, per_page: int | None = None) -> KeyedPagination:
    page = request.args.get("page", 1, type=int)
    return KeyedPagination(
        select=select,
        rows_for=rows_for,
        session=db.session(),
        page=max(page, 1),
        per_page=per_page or current_app.config["USERS_PER_PAGE"],
        max_per_page=None,
        error_out=False,
        count=True,
    )
