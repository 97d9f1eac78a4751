--[[ Pandoc filter for the book PDF (typst output), run after citeproc.

Why a filter: pandoc's typst writer would number headings and figures itself and knows nothing of
the book's chapters. The front end has already numbered everything (see render/model.py), so this
filter turns headings, figures, callouts and figure-meta divs into typst that shows those numbers
exactly once, with typst labels equal to the pandoc ids so cross-reference links resolve.

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

--- A typst string literal.
local function typst_string(s)
  s = s:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\r?\n", " ")
  return '"' .. s .. '"'
end

--- Typst markup for inlines (no trailing newline).
local function inline_markup(inlines)
  local out = pandoc.write(pandoc.Pandoc({ pandoc.Plain(inlines) }), "typst-citations")
  return (out:gsub("%s+$", ""))
end

--- Typst markup for blocks.
local function block_markup(blocks)
  local out = pandoc.write(pandoc.Pandoc(blocks), "typst-citations")
  return (out:gsub("%s+$", ""))
end

local function has_class(el, name)
  for _, c in ipairs(el.classes or {}) do
    if c == name then return true end
  end
  return false
end

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
local function figure(fig)
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
  local label = fig.identifier ~= "" and (" <" .. fig.identifier .. ">") or ""
  return pandoc.RawBlock("typst",
    "#figure(" .. body .. caption .. ", kind: image)" .. label)
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

--- The inlines of the ``.figure-source`` span in a figure-meta div, or nil.
local function table_source(div)
  local found
  div:walk({
    Span = function(span)
      if not found and has_class(span, "figure-source") then found = span.content end
    end,
  })
  return found
end

--- Two passes. First the top-level blocks in order, so that a chapter heading knows which chapter
--- it opens and a figure takes the source line of the figure-meta div right after it; then one
--- walk over the whole document for what is nested (callouts, other figures, sub-headings).
function Pandoc(doc)
  local out = pandoc.Blocks({})
  local blocks = doc.blocks
  local i = 1
  while i <= #blocks do
    local blk = blocks[i]
    local nxt = blocks[i + 1]
    if blk.t == "RawBlock" and blk.format == "typst" then
      current_chapter = blk.text:match("^// exile%-chapter: (%S+)") or current_chapter
    end
    if (blk.t == "Figure" or blk.t == "Table") and nxt and nxt.t == "Div"
        and has_class(nxt, "figure-meta") then
      -- the source line of a figure or table goes under it; the downloads are HTML-only
      out:insert(blk.t == "Figure" and (figure(blk) or blk) or blk)
      local source = table_source(nxt)
      if source then
        out:insert(pandoc.RawBlock("typst", "#source-line[" .. inline_markup(source) .. "]"))
      end
      i = i + 2
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
        -- A figure-meta div not right after its figure or table (its source line was taken
        -- there): a PDF has no files to offer, so the download line is dropped here.
        return {}, false
      end
      local boxed = callout(div, filters)
      if boxed then return boxed, false end
      return nil
    end,
    Figure = function(fig) return figure(fig), false end,
    -- inlines hold nothing to change: do not descend into them (speed)
    Para = function() return nil, false end,
    Plain = function() return nil, false end,
    Table = function() return nil, false end,
    CodeBlock = function() return nil, false end,
    RawBlock = function() return nil, false end,
  }
  doc.blocks = out:walk(filters)
  return doc
end
