"""«Ячейки»: the cells of the point, creating them by pattern, their labels and special places."""
