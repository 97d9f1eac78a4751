--[[ Pandoc filter for the book PDF (typst output), run after citeproc.

Why a filter: pandoc's typst writer would number headings and figures itself and knows nothing of
the book's chapters. crossref.lua has already numbered everything in the same pandoc run (see
render/model.py), so this filter turns headings, figures, callouts and figure-meta divs into typst that shows those numbers
exactly once, with typst labels equal to the pandoc ids so cross-reference links resolve.

Layout is typst's (book.typ): figures become `book-figure` and tables `book-table` calls, which
float them to the top or bottom of a page when they fit on one (text flows past, no half-empty
pages) and carry the source line inside the float; a table's columns are sized there from the
cells' content (this filter passes each column's longest words, which set its least width), and
long addresses in tables and the bibliography get break opportunities.

Configuration comes from the JSON file named by the EXILE_PDF_CONFIG environment variable:
  { "workdir": "/abs", "resources": {"figures/x.svg": "/abs/x.svg"},
    "chapters": {"02-scale": {"kind": "chapter", "number": "2"}} }
Chapter boundaries are raw typst blocks "// exile-chapter: <key>" that pdf.py puts in front of
each chapter's markdown.
]]

local config = {}
do
  local path = os.getenv("EXILE_PDF_CONFIG")
  if path then
    local fh = assert(io.open(path, "r"))
    config = pandoc.json.decode(fh:read("a"), false)
    fh:close()
  end
end
local resources = config.resources or {}
local chapters = config.chapters or {}
local workdir = config.workdir or "."

local tables = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE), "tables.lua" }))
local typst_string, inline_markup, block_markup =
  tables.typst_string, tables.inline_markup, tables.block_markup
local book_table, breakable = tables.book_table, tables.breakable

local has_class, table_source = tables.has_class, tables.figure_source

--- The file an image path refers to: Book.resources first, then absolute, then workdir-relative.
local function resolve_path(src)
  if resources[src] then return resources[src] end
  if src:match("^/") or src:match("^%a:[/\\]") then return src end
  return workdir .. "/" .. src
end

--- A pandoc width attribute ("80%", "4in", "12cm") as a typst length, or nil.
local function typst_length(value)
  if not value then return nil end
  local num, unit = value:match("^%s*([%d.]+)%s*(%%?%a*)%s*$")
  if not num then return nil end
  if unit == "%" then return num .. "%" end
  if unit == "in" or unit == "cm" or unit == "mm" or unit == "pt" or unit == "em" then
    return num .. unit
  end
  return nil -- px and bare numbers have no physical size: let the figure rule decide
end

local current_chapter = nil

--- Headings become explicit typst headings carrying the front end's number as a constant
--- numbering, so typst never counts them and the contents shows the same numbers.
local function heading(h)
  local number, supplement = nil, "Section"
  local content = h.content
  if h.level == 1 then
    local info = current_chapter and chapters[current_chapter] or {}
    if info.number and info.number ~= "" and not has_class(h, "unnumbered") then
      number = info.number
      supplement = info.kind == "appendix" and "Appendix" or "Chapter"
    end
  elseif #content > 0 and content[1].t == "Span" and has_class(content[1], "header-section-number") then
    number = pandoc.utils.stringify(content[1])
    content = pandoc.Inlines({ table.unpack(content, 2) })
    while #content > 0 and content[1].t == "Space" do content:remove(1) end
  end
  local args = { "level: " .. h.level }
  if number and not has_class(h, "unnumbered") then
    args[#args + 1] = "numbering: (..n) => " .. typst_string(number)
    args[#args + 1] = "supplement: [" .. supplement .. "]"
  else
    args[#args + 1] = "numbering: none"
  end
  if has_class(h, "unlisted") then args[#args + 1] = "outlined: false" end
  local label = h.identifier ~= "" and (" <" .. h.identifier .. ">") or ""
  return pandoc.RawBlock("typst",
    "#heading(" .. table.concat(args, ", ") .. ")[" .. inline_markup(content) .. "]" .. label)
end

--- A figure as typst: the image scaled to the text width, its alt text, the caption as given.
local function figure(fig, source)
  local img = nil
  fig.content:walk({ Image = function(i) img = img or i end })
  if not img then return nil end
  local alt = img.attributes["fig-alt"] or pandoc.utils.stringify(img.caption)
  local args = { typst_string(resolve_path(img.src)) }
  local width = typst_length(img.attributes.width or fig.attributes.width)
  if width then args[#args + 1] = "width: " .. width end
  if alt ~= "" then args[#args + 1] = "alt: " .. typst_string(alt) end
  -- fit-image (book.typ) shrinks an image wider than the text to the text width, never enlarges
  local body = (width and "image(" or "fit-image(") .. table.concat(args, ", ") .. ")"
  local caption = ""
  if pandoc.utils.stringify(fig.caption.long) ~= "" then
    caption = block_markup(fig.caption.long)
  end
  if caption ~= "" then caption = ", caption: [" .. caption .. "]" end
  local label = fig.identifier ~= "" and (", label: " .. typst_string(fig.identifier)) or ""
  local source_arg = source and (", source: [" .. inline_markup(source) .. "]") or ""
  -- book-figure (book.typ) floats the figure to the top or bottom of a page, so that text flows
  -- past it instead of leaving the rest of a page empty; the source line floats with it
  return pandoc.RawBlock("typst",
    "#book-figure(" .. body .. caption .. source_arg .. label .. ")")
end

local callout_titles = {
  note = "Note", tip = "Tip", warning = "Warning", important = "Important", caution = "Caution",
}

--- ::: {.callout-note} becomes a boxed #callout; its first heading becomes the box title.
local function callout(div, filters)
  local kind = nil
  for _, c in ipairs(div.classes) do
    kind = kind or c:match("^callout%-(%a+)$")
  end
  if not kind then return nil end
  local blocks = div.content
  local title
  if #blocks > 0 and blocks[1].t == "Header" then
    title = inline_markup(blocks[1].content)
    blocks = pandoc.Blocks({ table.unpack(blocks, 2) })
  elseif div.attributes.title then
    title = inline_markup(pandoc.Inlines(div.attributes.title))
  else
    title = callout_titles[kind] or "Note"
  end
  blocks = blocks:walk(filters)
  local out = pandoc.Blocks({
    pandoc.RawBlock("typst", "#callout(kind: " .. typst_string(kind) .. ", title: [" .. title .. "])["),
  })
  out:extend(blocks)
  out:insert(pandoc.RawBlock("typst", "]"))
  return out
end

--- Whether a figure's source line is taken from the figure-meta div under it. Off while the
--- house style draws the source line into the figure image (plotting.save_figure): the PDF would
--- show it twice. A source line printed as an ordinary "Source: …" paragraph under the figure is
--- always taken into the figure's float.
local FIGURE_SOURCE_FROM_META = true

--- A paragraph that is a source line ("Source: …" printed as an ordinary output under a figure
--- or table), as its inlines, or nil.
local function source_paragraph(blk)
  if blk and (blk.t == "Para" or blk.t == "Plain") then
    local text = pandoc.utils.stringify(blk.content)
    if text:match("^Sources?:") then return blk.content end
  end
  return nil
end

--- Two passes. First the top-level blocks in order, so that a chapter heading knows which chapter
--- it opens and a figure or table takes its source line (the figure-meta div after it, or a
--- "Source: …" paragraph right under it) inside its float; then one walk over the whole document
--- for what is nested (callouts, other figures, sub-headings).
function Pandoc(doc)
  local out = pandoc.Blocks({})
  local blocks = doc.blocks
  local i = 1
  while i <= #blocks do
    local blk = blocks[i]
    if blk.t == "RawBlock" and blk.format == "typst" then
      current_chapter = blk.text:match("^// exile%-chapter: (%S+)") or current_chapter
    end
    if blk.t == "Figure" or blk.t == "Table" then
      -- what follows: an optional source paragraph and an optional figure-meta div (HTML
      -- downloads, which a PDF cannot offer), in either order
      local source, j = nil, i + 1
      for _ = 1, 2 do
        local nxt = blocks[j]
        local para = source_paragraph(nxt)
        if para and not source then
          source, j = para, j + 1
        elseif nxt and nxt.t == "Div" and has_class(nxt, "figure-meta") then
          if blk.t == "Table" or FIGURE_SOURCE_FROM_META then
            source = source or table_source(nxt)
          end
          j = j + 1
        end
      end
      local made = blk.t == "Figure" and figure(blk, source) or book_table(blk, source)
      if made then
        out:insert(made)
        i = j
      else
        out:insert(blk)
        i = i + 1
      end
    elseif blk.t == "Header" then
      out:insert(heading(blk))
      i = i + 1
    else
      out:insert(blk)
      i = i + 1
    end
  end
  current_chapter = nil
  local filters
  filters = {
    traverse = "topdown",
    Header = function(h) return heading(h), false end,
    Div = function(div)
      if has_class(div, "figure-meta") then
        -- a figure-meta div not right under its figure (nested): a PDF has no files to offer
        return {}, false
      end
      if div.identifier == "refs" then
        -- the bibliography: long addresses get break opportunities so they stay in the margins
        return div:walk(breakable), false
      end
      local boxed = callout(div, filters)
      if boxed then return boxed, false end
      return nil
    end,
    Figure = function(fig) return figure(fig), false end,
    Table = function(tbl) return book_table(tbl), false end,
    -- inlines hold nothing to change: do not descend into them (speed)
    Para = function() return nil, false end,
    Plain = function() return nil, false end,
    CodeBlock = function() return nil, false end,
    RawBlock = function() return nil, false end,
  }
  doc.blocks = out:walk(filters)
  return doc
end
