--[[ Tables and long words in typst, shared by the built-in PDF's filter (book.lua) and the
Quarto typst filter (tools/quarto/typst-book.lua), so that both engines set tables alike.

`book_table(tbl, source, fn)` writes a pandoc Table as a call to a book.typ function (`book-table`
by default: a float with caption and source line; `book-table-body`: the table alone, for a
caption Quarto sets itself), with each column's longest unbreakable words so that typst can size
the columns from their content. `breakable` is a filter that gives long addresses and
identifiers break opportunities without adding any character to them.
]]

local M = {}

--- A typst string literal.
local function typst_string(s)
  s = s:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\r?\n", " ")
  return '"' .. s .. '"'
end
M.typst_string = typst_string

--- Typst markup for inlines (no trailing newline).
local function inline_markup(inlines)
  local out = pandoc.write(pandoc.Pandoc({ pandoc.Plain(inlines) }), "typst-citations")
  return (out:gsub("%s+$", ""))
end
M.inline_markup = inline_markup

--- Typst markup for blocks.
local function block_markup(blocks)
  local out = pandoc.write(pandoc.Pandoc(blocks), "typst-citations")
  return (out:gsub("%s+$", ""))
end
M.block_markup = block_markup

--- Whether an element carries a class.
local function has_class(el, name)
  for _, c in ipairs(el.classes or {}) do
    if c == name then return true end
  end
  return false
end
M.has_class = has_class

--- The inlines of the `.figure-source` span in a figure-meta div, or nil.
function M.figure_source(div)
  local found
  div:walk({
    Span = function(span)
      if not found and has_class(span, "figure-source") then found = span.content end
    end,
  })
  return found
end

--- Characters after which a long address or identifier may break across lines.
local BREAK_AFTER = "[/_%-%.%?&=#~]"
--- Words longer than this get break opportunities (after / _ - . ? & = # ~).
local LONG_WORD = 24

--- A long word cut after each of its break characters, or nil when it needs no cutting.
local function segments(s)
  if utf8.len(s) == nil or utf8.len(s) <= LONG_WORD or not s:find(BREAK_AFTER) then
    return nil
  end
  local parts = {}
  for part in s:gmatch("[^/_%-%.%?&=#~]*" .. BREAK_AFTER .. "?") do
    if part ~= "" then parts[#parts + 1] = part end
  end
  return parts
end

--- A long address or identifier made breakable: a URL in the bibliography or a table cell would
--- otherwise run into the margin. Each piece is a typst box and typst may break a line between
--- boxes, so no character is added: the link target is untouched and the address copied from
--- the PDF is the address.
local function breakable_str(str)
  local parts = segments(str.text)
  if not parts then return nil end
  local out = {}
  for i, part in ipairs(parts) do out[i] = "#box(" .. typst_string(part) .. ")" end
  -- the closing ";" ends the last call, so that a following "(" or "[" stays text
  return pandoc.RawInline("typst", table.concat(out) .. ";")
end
local breakable = { Str = breakable_str }

--- The words of a cell that cannot break, longest first (at most three): they set the column's
--- least width. A long address counts by its pieces (see `breakable`).
local function unbreakable_words(blocks)
  local words = {}
  for w in pandoc.utils.stringify(blocks):gmatch("%S+") do
    for _, part in ipairs(segments(w) or { w }) do words[#words + 1] = part end
  end
  table.sort(words, function(a, b) return utf8.len(a) > utf8.len(b) end)
  return { table.unpack(words, 1, 3) }
end

--- A raw typst line between cells when all cells of a table are written at once.
local CELL_MARK = "// exile-cell"
local CELL_MARK_PATTERN = "// exile%-cell"

local typst_align = { AlignLeft = "left", AlignRight = "right", AlignCenter = "center" }

--- The cells of a row as typst content, or nil when a cell spans rows or columns (pandoc's own
--- table writer handles those).
local function row_cells(row, ncols)
  local cells = {}
  for _, cell in ipairs(row.cells) do
    if cell.row_span ~= 1 or cell.col_span ~= 1 then return nil end
    cells[#cells + 1] = cell
  end
  if #cells ~= ncols then return nil end
  return cells
end

--- A table as a call to `book-table` (book.typ), which sizes the columns from their content,
--- wraps text in cells, sets a wide table smaller, repeats the header on every page and floats
--- a short table to the top or bottom of a page; the source line goes inside, under the table.
--- Returns nil for a table this cannot express (spanning cells), which pandoc then writes.
--- The contents of a cell as inlines: its paragraphs' inlines, a line break between two; other
--- blocks (a list in a cell) as typst markup.
local function cell_inlines(blocks)
  local out = pandoc.Inlines({})
  for i, blk in ipairs(blocks) do
    if i > 1 then out:insert(pandoc.LineBreak()) end
    if blk.t == "Plain" or blk.t == "Para" then
      out:extend(blk.content)
    else
      out:insert(pandoc.RawInline("typst", block_markup({ blk })))
    end
  end
  return out
end

--- Stand-ins for the cells in the call's text when the cells stay pandoc inlines (`as_inlines`).
local SLOT_OPEN, SLOT_CLOSE = "\u{E000}", "\u{E001}"

local function book_table(tbl, source, fn, as_inlines)
  local ncols = #tbl.colspecs
  local aligns, words = {}, {}
  for i, spec in ipairs(tbl.colspecs) do
    aligns[i] = typst_align[spec[1]] or "left"
    words[i] = {}
  end
  -- rows as lists of cell contents first; then the markup of all cells in one pandoc.write
  -- (one call per cell would cost a writer run each)
  local cells_in_order = {}
  local function collect_row(row, is_header)
    local cells = row_cells(row, ncols)
    if not cells then return nil end
    local out = {}
    for i, cell in ipairs(cells) do
      for _, w in ipairs(unbreakable_words(cell.contents)) do
        words[i][#words[i] + 1] = { w, is_header }
      end
      cells_in_order[#cells_in_order + 1] = cell.contents:walk(breakable)
      out[i] = #cells_in_order
    end
    return out
  end
  local head, body = {}, {}
  for _, row in ipairs(tbl.head.rows) do
    local r = collect_row(row, true)
    if not r then return nil end
    head[#head + 1] = r
  end
  local body_rows = {}
  for _, b in ipairs(tbl.bodies) do
    for _, row in ipairs(b.head) do body_rows[#body_rows + 1] = row end
    for _, row in ipairs(b.body) do body_rows[#body_rows + 1] = row end
  end
  for _, row in ipairs(tbl.foot.rows) do body_rows[#body_rows + 1] = row end
  for _, row in ipairs(body_rows) do
    local r = collect_row(row, false)
    if not r then return nil end
    body[#body + 1] = r
  end
  local markup = {}
  if as_inlines then
    for i = 1, #cells_in_order do markup[i] = SLOT_OPEN .. i .. SLOT_CLOSE end
  else
    local batch = pandoc.Blocks({})
    for _, contents in ipairs(cells_in_order) do
      batch:insert(pandoc.RawBlock("typst", CELL_MARK))
      batch:extend(contents)
    end
    local written = pandoc.write(pandoc.Pandoc(batch), "typst-citations")
    local n = 0
    for part in (written .. CELL_MARK):gmatch("(.-)" .. CELL_MARK_PATTERN) do
      n = n + 1
      if n > 1 then markup[n - 1] = part:gsub("^%s+", ""):gsub("%s+$", "") end
    end
  end
  local function row_markup(r)
    local out = {}
    for i, index in ipairs(r) do out[i] = "[" .. markup[index] .. "]" end
    return "(" .. table.concat(out, ", ") .. ",)"
  end
  for k, r in ipairs(head) do head[k] = row_markup(r) end
  for k, r in ipairs(body) do body[k] = row_markup(r) end
  local word_lists = {}
  for i = 1, ncols do
    local items = {}
    for _, w in ipairs(words[i]) do
      items[#items + 1] = "(" .. typst_string(w[1]) .. ", " .. tostring(w[2]) .. ")"
    end
    word_lists[i] = "(" .. table.concat(items, ", ") .. (#items > 0 and ",)" or ")")
  end
  local args = {
    "align: (" .. table.concat(aligns, ", ") .. ",)",
    "header: (" .. table.concat(head, ", ") .. (#head > 0 and ",)" or ")"),
    "rows: (" .. table.concat(body, ",\n    ") .. (#body > 0 and ",)" or ")"),
    "words: (" .. table.concat(word_lists, ", ") .. ",)",
  }
  if pandoc.utils.stringify(tbl.caption.long) ~= "" then
    args[#args + 1] = "caption: [" .. block_markup(tbl.caption.long) .. "]"
  end
  if source and as_inlines then
    cells_in_order[#cells_in_order + 1] = { pandoc.Plain(source) }
    args[#args + 1] = "source: [" .. SLOT_OPEN .. #cells_in_order .. SLOT_CLOSE .. "]"
  elseif source then
    args[#args + 1] = "source: [" .. inline_markup(source) .. "]"
  end
  if tbl.identifier ~= "" then args[#args + 1] = "label: " .. typst_string(tbl.identifier) end
  local call = "#" .. (fn or "book-table") .. "(\n  " .. table.concat(args, ",\n  ") .. ",\n)"
  if not as_inlines then return pandoc.RawBlock("typst", call) end
  -- the call's text with each cell's inlines in its slot: citations stay pandoc citations, for
  -- a citeproc run after this filter (Quarto's) to fill in and to list in the bibliography
  local inlines = pandoc.Inlines({})
  local pos = 1
  for from, index, to in call:gmatch("()" .. SLOT_OPEN .. "(%d+)" .. SLOT_CLOSE .. "()") do
    inlines:insert(pandoc.RawInline("typst", call:sub(pos, from - 1)))
    inlines:extend(cell_inlines(cells_in_order[tonumber(index)]))
    pos = to
  end
  inlines:insert(pandoc.RawInline("typst", call:sub(pos)))
  return pandoc.Plain(inlines)
end

M.book_table = book_table
M.breakable = breakable
M.segments = segments
return M
