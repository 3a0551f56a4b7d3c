"""Sales pages: deals, the board, leads."""

from voronka.sales.views.board import board
from voronka.sales.views.deals import (
    client_search,
    deal_create,
    deal_delete,
    deal_detail,
    deal_edit,
    deal_line_add,
    deal_line_remove,
    deal_list,
    deal_move,
)
from voronka.sales.views.leads import (
    lead_create,
    lead_delete,
    lead_detail,
    lead_edit,
    lead_list,
    lead_qualify,
    lead_reject,
)

__all__ = [
    "board", "client_search", "deal_create", "deal_delete", "deal_detail", "deal_edit",
    "deal_line_add", "deal_line_remove", "deal_list", "deal_move", "lead_create", "lead_delete",
    "lead_detail", "lead_edit", "lead_list", "lead_qualify", "lead_reject",
]  # fmt: skip
