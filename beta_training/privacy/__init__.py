"""« Mes données »: what the platform holds about a person (the export), the erasure of her account, and the
retention rules that erase what nobody needs any more. It reads and changes every domain, so it sits on the
top floor beside `site` (.importlinter)."""
