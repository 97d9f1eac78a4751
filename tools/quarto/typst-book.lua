--[[ Quarto typst filter (format: typst: filters:, at post-render): the built-in PDF's table and
float layout in Quarto's typst book.

Quarto's typst output keeps pandoc's relative column widths, so wide tables overprint their short
columns (ids, dates, numbers). Here every table becomes a `book-table-body` call (the same code as
the built-in engine: render/typst/tables.lua and book.typ), which sizes the columns from their
content; the source line written under a figure or table (the `.figure-meta` div) moves into the
float, so that it floats with it; long addresses in the bibliography get break opportunities; and
tools/quarto/book.typ (`quarto-book`) adds the float and heading rules.

At post-render Quarto has already turned each captioned figure or table into typst: a
`.quarto-scaffold` div whose raw pieces open `#figure([`, hold the content, and close with
`], caption: ...`.
]]

local here = pandoc.path.directory(PANDOC_SCRIPT_FILE)
local tables = dofile(pandoc.path.join({
  here, "..", "..", "src", "exile_report", "render", "typst", "tables.lua",
}))

local IMPORT = '#import "/tools/quarto/book.typ": quarto-book, book-table-body, source-line\n'

--- The `#show: quarto-book.with(...)` line: the body text size of `fontsize` (format typst in
--- _quarto.yml) and the book's title for the running head.
local function style(meta)
  local size = meta.fontsize and pandoc.utils.stringify(meta.fontsize) or "11pt"
  if not size:match("^%d+%.?%d*pt$") then size = "11pt" end
  local title = meta.title and pandoc.utils.stringify(meta.title) or ""
  title = title:gsub("\\", "\\\\"):gsub('"', '\\"')
  return IMPORT .. "#show: quarto-book.with(font-size: " .. size
    .. ', title: "' .. title .. '")\n'
end

--- Every chapter heading gets a marker in front of it (the end of the chapter before), which
--- tells blank pages from pages with text (book.typ's `blank-page`).
local CHAPTER_END = pandoc.RawBlock("typst", '#metadata("chapter-end") <exile-chapter-end>')

--- Whether a block opens a chapter: a chapter's heading, or one the template writes as typst
--- (a part page such as "Appendices", or its heading).
local function opens_chapter(blk)
  if blk.t == "Header" then return blk.level == 1 end
  if blk.t ~= "RawBlock" or blk.format ~= "typst" then return false end
  return blk.text:match("#heading%(level: 1") ~= nil or blk.text:match("#part%[") ~= nil
end

local function mark_chapter_ends(blocks)
  local marked = pandoc.Blocks({})
  for _, blk in ipairs(blocks) do
    if opens_chapter(blk) then marked:insert(CHAPTER_END) end
    marked:insert(blk)
  end
  return marked
end

local has_class, figure_source = tables.has_class, tables.figure_source

--- Whether a block holds the raw typst that closes a float's content (`], caption: ...`).
local function closes_float(blk)
  if blk.t ~= "Plain" and blk.t ~= "Para" then return false end
  local first = blk.content[1]
  return first ~= nil and first.t == "RawInline" and first.format == "typst"
    and first.text:match("^%]%s*,%s*caption:") ~= nil
end

--- Put `extra` in front of the raw block closing the float's content, inside `blocks` or any div
--- nested in it; whether it was placed.
local function insert_before_close(blocks, extra)
  for i, blk in ipairs(blocks) do
    if closes_float(blk) then
      blocks:insert(i, extra)
      return true
    end
    if blk.t == "Div" and insert_before_close(blk.content, extra) then return true end
  end
  return false
end

--- Whether a block is a float Quarto has written as typst (`#figure([` ... `kind: "quarto-float-`).
local function is_float(blk)
  if blk.t ~= "Div" or not has_class(blk, "quarto-scaffold") then return false end
  local found = false
  blk:walk({
    RawInline = function(r)
      if r.format == "typst" and r.text:match('kind: "quarto%-float%-') then found = true end
    end,
  })
  return found
end

--- Each float followed by its figure-meta div takes the div's source line inside; the div
--- (whose download links are for the HTML) goes.
local function sources_into_floats(blocks)
  local out = pandoc.Blocks({})
  local i = 1
  while i <= #blocks do
    local blk, nxt = blocks[i], blocks[i + 1]
    if nxt and nxt.t == "Div" and has_class(nxt, "figure-meta") and is_float(blk) then
      local source = figure_source(nxt)
      local placed = source == nil
      if source then
        -- a table takes it as its last row (never alone on the next page), a figure under it
        blk = blk:walk({
          Table = function(tbl)
            local made = not placed and tables.book_table(tbl, source, "book-table-body", true)
            if made then placed = true end
            return made or nil
          end,
        })
      end
      if not placed then
        placed = insert_before_close(blk.content, pandoc.RawBlock("typst",
          "#source-line[" .. tables.inline_markup(source) .. "]"))
      end
      out:insert(blk)
      if placed then i = i + 2 else i = i + 1 end
    else
      out:insert(blk)
      i = i + 1
    end
  end
  return out
end

function Pandoc(doc)
  doc.blocks = sources_into_floats(doc.blocks:walk({ Blocks = sources_into_floats }))
  doc.blocks = doc.blocks:walk({
    Table = function(tbl) return tables.book_table(tbl, nil, "book-table-body", true) end,
    Div = function(div)
      if div.identifier == "refs" then return div:walk(tables.breakable) end
    end,
  })
  doc.blocks = mark_chapter_ends(doc.blocks:walk({ Blocks = mark_chapter_ends }))
  doc.blocks:insert(1, pandoc.RawBlock("typst", style(doc.meta)))
  return doc
end
