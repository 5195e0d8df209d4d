"""«Отправка»: return carriages, filled by scanning and handed to the courier."""
