"""Entity resolution: link source records to persons and households across ministries."""
