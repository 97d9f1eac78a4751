--[[ Numbering and cross-references of the built-in engine, on pandoc's document tree.

The front end (frontend.py) puts a raw block in front of each chapter's markdown,

  ```{=exile-chapter}
  {"key": "02-scale", "kind": "chapter", "title": null, "paths": {"image": {}, "link": {}}}
  ```

and every pandoc run of the book (the front end's check, the HTML and the PDF writers) runs this
filter first, before citeproc. It numbers the book the way Quarto numbers one: chapters 1..n,
appendices A, B, …, sections per chapter ("2.1", "A.1"), figures and tables per chapter
("Figure 2.1: …" in the caption), and turns `@sec-`/`@fig-`/`@tbl-` citations into links
(`[Figure 2.1](#fig-x){.quarto-xref}`). It also gives images and links the book-relative paths
the front end mapped them to ("paths": written relative to the chapter's folder, as Quarto reads
them). Because it works on what pandoc parsed, code blocks and inline code are never touched and
setext or closed ATX headings are headings like any other.

With the environment variable EXILE_CROSSREF_REPORT naming a file, the filter writes there what
the front end needs (each chapter's number, title and heading id, every target, every citation
key, every image and link path, and the problems found) and returns an empty document; the front end turns the problems
into errors that name the file and the place.
]]

local NBSP = "\u{00A0}"
local REF_PREFIX = { fig = "Figure", tbl = "Table", sec = "Section", ch = "Chapter", apx = "Appendix" }
local CROSSREF_TYPES = { fig = true, tbl = true, sec = true }
local REPORT = os.getenv("EXILE_CROSSREF_REPORT")

local function alpha(n)
  if n <= 26 then return string.char(64 + n) end
  return alpha((n - 1) // 26) .. alpha((n - 1) % 26 + 1)
end

--- "sec", "fig" or "tbl" when a citation key is a cross-reference (`@fig-x`, also `@Fig-x`).
local function ref_type(key)
  local head = key:match("^([^-]+)%-.")
  if head and CROSSREF_TYPES[head:lower()] then return head:lower() end
  return nil
end

local function chapter_marker(blk)
  if blk.t == "RawBlock" and blk.format == "exile-chapter" then
    return pandoc.json.decode(blk.text, false)
  end
  return nil
end

-- --------------------------------------------------------------------------- state

local chapters = {}   -- in order: {key, kind, number, title, sec_id, first_h1, h1}
local targets = {}    -- id -> {chapter, kind, number, title (inlines)}
local problems = {}   -- {chapter, message, token}
local cited = {}      -- chapter key -> citation keys in order of first use
local current = nil

local function problem(message, token)
  problems[#problems + 1] = {
    chapter = current and current.key or "", message = message, token = token or "",
  }
end

local function add_target(id, kind, number, title)
  if targets[id] then
    problem("duplicate id #" .. id, "#" .. id)
    return
  end
  targets[id] = { chapter = current and current.key or "", kind = kind, number = number, title = title }
end

--- Follows the chapters through a walk: a marker opens the next chapter, and so does a `#`
--- heading when the current chapter already has one (what a writer appends: its References
--- page) or when no marker came before. `scan` creates the chapters, later passes revisit them.
local function cursor(create)
  local index, h1s = 0, 0
  local function advance(info)
    index, h1s = index + 1, 0
    if create then chapters[index] = info end
    current = chapters[index]
  end
  return {
    block = function(blk)
      local info = chapter_marker(blk)
      if info then
        advance({ key = info.key, kind = info.kind, title = info.title, paths = info.paths, h1 = 0 })
        return true
      end
      return false
    end,
    heading = function(h)
      if h.level ~= 1 then return end
      if not current or h1s > 0 then
        if current and current.kind ~= "other" and create then
          problem("a second '# ' heading; one per chapter", "#" .. h.identifier)
        end
        advance({ key = "", kind = "other", h1 = 0 })
      end
      h1s = h1s + 1
    end,
  }
end

--- Whether the walk is inside a chapter of the front end (not one a writer appended).
local function in_chapter()
  return current ~= nil and current.kind ~= "other"
end

-- --------------------------------------------------------------------------- pass 1: chapters

--- The chapters, each one's first `#` heading, and the chapters' numbers.
local function scan(doc)
  local at = cursor(true)
  doc:walk({
    traverse = "topdown",
    RawBlock = function(blk) at.block(blk) end,
    Header = function(h)
      at.heading(h)
      current.first_h1 = current.first_h1 or (h.level == 1 and h or nil)
    end,
    Div = function(div)
      if div.identifier == "refs" and current and current.kind == "chapter" then
        current.kind = "references"
      end
    end,
  })
  local numbered, appendices = 0, 0
  for _, c in ipairs(chapters) do
    local unnumbered = c.first_h1 and c.first_h1.classes:includes("unnumbered")
    if c.kind == "chapter" and not unnumbered then
      numbered = numbered + 1
      c.number = tostring(numbered)
    elseif c.kind == "appendix" then
      appendices = appendices + 1
      c.number = alpha(appendices)
    end
  end
  current = nil
end

--- A chapter whose title is only in its front matter gets it as its `#` heading, read as
--- pandoc reads a heading (attributes such as {.unnumbered} included).
local function title_headings(doc)
  local missing = {}
  for _, c in ipairs(chapters) do
    if c.kind ~= "other" and not c.first_h1 and c.title and c.title ~= pandoc.json.null then
      missing[c.key] = pandoc.read("# " .. c.title, "markdown").blocks[1]
      c.first_h1 = missing[c.key]
    end
  end
  if next(missing) == nil then return doc end
  local with_headings = doc:walk({
    Blocks = function(blocks)
      local out = pandoc.Blocks({})
      for _, blk in ipairs(blocks) do
        out:insert(blk)
        local info = chapter_marker(blk)
        if info and missing[info.key] then out:insert(missing[info.key]) end
      end
      return out
    end,
  })
  -- the chapters' numbers may depend on the new headings' classes: count them again
  chapters, targets, problems = {}, {}, {}
  scan(with_headings)
  return with_headings
end

-- --------------------------------------------------------------------------- paths

local paths = {}  -- chapter key -> {kind ("image" | "link"), target, meta (in a figure-meta div)}

--- The images and links of every chapter, for the front end to check and map (report only).
local function collect_paths(doc)
  local at = cursor(false)
  local function note(kind, target, meta)
    if not in_chapter() then return end
    local list = paths[current.key] or {}
    paths[current.key] = list
    list[#list + 1] = { kind = kind, target = target, meta = meta }
  end
  local function visit(meta)
    return {
      Image = function(img) note("image", img.src, meta) end,
      Link = function(link) note("link", link.target, meta) end,
    }
  end
  local outside = visit(false)
  doc:walk({
    traverse = "topdown",
    RawBlock = function(blk) at.block(blk) end,
    Header = function(h) at.heading(h) end,
    CodeBlock = function() return nil, false end,
    Div = function(div)
      if div.classes:includes("figure-meta") then
        div:walk(visit(true))
        return nil, false
      end
    end,
    Image = outside.Image,
    Link = outside.Link,
  })
  current = nil
end

--- A handler giving an image (`src`) or a link (`target`) the path the front end mapped it to
--- (relative to the book, see frontend.py), when it mapped one.
local function remap(kind, field)
  return function(el)
    local map = current and current.paths and current.paths[kind]
    local to = map and map[el[field]]
    if to then
      el[field] = to
      return el
    end
  end
end

-- --------------------------------------------------------------------------- pass 2: numbers

local function number_inlines(word, number)
  return pandoc.Inlines({ pandoc.Str(word), pandoc.Space(), pandoc.Str(number .. ":"), pandoc.Space() })
end

--- Caption blocks with "Figure 2.1: " (or "Table …") in front.
local function numbered_caption(blocks, word, number)
  local first = blocks[1]
  local content = number_inlines(word, number)
  if first and (first.t == "Plain" or first.t == "Para") then
    content:extend(first.content)
    blocks[1] = pandoc.Plain(content)
  else
    blocks:insert(1, pandoc.Plain(content))
  end
  return blocks
end

local function number_document(doc)
  local at = cursor(false)
  local floats, section = {}, {}

  local function float_number(kind)
    floats[kind] = (floats[kind] or 0) + 1
    return current.number and (current.number .. "." .. floats[kind]) or tostring(floats[kind])
  end

  --- A figure's image: alt text required, and it is the image's description (what pandoc makes
  --- of an `alt` attribute); the caption, numbered, is the figure's.
  local function figure_image(img, id, caption)
    local alt = img.attributes["fig-alt"] or ""
    if alt:match("^%s*$") then
      problem("figure " .. id .. " has no fig-alt (alt text is required)", "#" .. id)
    elseif img.attributes.alt then
      img.caption = pandoc.Inlines(img.attributes.alt)
      img.attributes.alt = nil
    elseif caption == nil or pandoc.utils.stringify(img.caption) == caption then
      img.caption = pandoc.Inlines(alt)
    end
    return img
  end

  return doc:walk({
    traverse = "topdown",
    RawBlock = function(blk)
      if at.block(blk) then floats, section = {}, { 0, 0, 0, 0, 0, 0, 0 } end
    end,
    Header = function(h)
      at.heading(h)
      local c = current
      if h.level == 1 then
        if c.kind == "other" then return nil end
        c.title = pandoc.utils.stringify(h.content)
        c.sec_id = h.identifier ~= "" and h.identifier or nil
        if h.identifier ~= "" then
          local kind = c.number and (c.kind == "appendix" and "apx" or "ch") or "sec"
          add_target(h.identifier, kind, c.number, h.content)
        end
        return nil
      end
      if c.kind == "other" then return nil end
      if c.number == nil or h.classes:includes("unnumbered") then
        if h.identifier ~= "" then add_target(h.identifier, "sec", nil, h.content) end
        return nil
      end
      section[h.level] = section[h.level] + 1
      for l = h.level + 1, 7 do section[l] = 0 end
      local parts = { c.number }
      for l = 2, h.level do parts[#parts + 1] = tostring(section[l]) end
      local number = table.concat(parts, ".")
      if h.identifier ~= "" then add_target(h.identifier, "sec", number, h.content) end
      local content = pandoc.Inlines({
        pandoc.Span({ pandoc.Str(number) }, { class = "header-section-number" }), pandoc.Space(),
      })
      content:extend(h.content)
      h.content = content
      return h
    end,
    Figure = function(fig)
      if not in_chapter() or not fig.identifier:match("^fig%-") then return nil end
      local number = float_number("fig")
      add_target(fig.identifier, "fig", number, fig.caption.long)
      local caption = pandoc.utils.stringify(fig.caption.long)
      fig.caption.long = numbered_caption(fig.caption.long, "Figure", number)
      fig.content = fig.content:walk({
        Image = function(img) return figure_image(img, fig.identifier, caption) end,
      })
      return fig, false
    end,
    Image = function(img)
      -- an image with a figure id inside a paragraph: numbered like a figure
      if not in_chapter() or not img.identifier:match("^fig%-") then return nil end
      local number = float_number("fig")
      add_target(img.identifier, "fig", number, img.caption)
      return figure_image(img, img.identifier, nil)
    end,
    Table = function(tbl)
      if not in_chapter() or not tbl.identifier:match("^tbl%-") then return nil end
      local number = float_number("tbl")
      add_target(tbl.identifier, "tbl", number, tbl.caption.long)
      tbl.caption.long = numbered_caption(tbl.caption.long, "Table", number)
      return tbl
    end,
    Div = function(div)
      if in_chapter() and div.identifier ~= "" and div.identifier ~= "refs"
          and not ref_type(div.identifier) then
        add_target(div.identifier, "other", nil, {})
      end
    end,
    Span = function(span)
      if in_chapter() and span.identifier ~= "" and not ref_type(span.identifier) then
        add_target(span.identifier, "other", nil, {})
      end
    end,
  })
end

-- --------------------------------------------------------------------------- pass 3: references

local function ref_text(t, prefix, suppress)
  if t.number == nil then return pandoc.Inlines(t.title):clone() end
  if suppress then return pandoc.Inlines({ pandoc.Str(t.number) }) end
  if prefix == nil then
    return pandoc.Inlines({ pandoc.Str(REF_PREFIX[t.kind] .. NBSP .. t.number) })
  end
  -- "[Fig @fig-x]": the prefix replaces the word, joined to the number by a no-break space
  local out = pandoc.Inlines(prefix):clone()
  local last = out[#out]
  if last and last.t == "Str" then
    last.text = last.text .. NBSP .. t.number
  else
    out:insert(pandoc.Str(NBSP .. t.number))
  end
  return out
end

local function note_citations(citations)
  local list = cited[current.key] or {}
  cited[current.key] = list
  for _, c in ipairs(citations) do
    local seen = false
    for _, k in ipairs(list) do seen = seen or k == c.id end
    if not seen then list[#list + 1] = c.id end
  end
end

--- Citations' note numbers as if the cross-references had never been citations: pandoc's reader
--- counts each `[@…]` group, and citeproc reads the numbers.
local function renumber_notes(doc, consumed)
  if #consumed == 0 then return doc end
  return doc:walk({
    Cite = function(cite)
      for _, c in ipairs(cite.citations) do
        local shift = 0
        for _, n in ipairs(consumed) do
          if n < c.note_num then shift = shift + 1 end
        end
        c.note_num = c.note_num - shift
      end
      return cite
    end,
  })
end

local function resolve_document(doc)
  local at = cursor(false)
  local consumed = {}
  local resolved
  local function target_of(id)
    local key = id:sub(1, 1):lower() .. id:sub(2)
    local t = targets[key]
    if not t or t.kind == "other" then
      problem("unresolved cross-reference @" .. id, "@" .. id)
      return nil, key
    end
    return t, key
  end
  resolved = doc:walk({
    traverse = "topdown",
    RawBlock = function(blk)
      if at.block(blk) then return {} end
    end,
    Header = function(h) at.heading(h) end,
    CodeBlock = function() return nil, false end,
    Image = remap("image", "src"),
    Link = remap("link", "target"),
    Cite = function(cite)
      if not in_chapter() then return nil, false end
      local refs = 0
      for _, c in ipairs(cite.citations) do
        if ref_type(c.id) then refs = refs + 1 end
      end
      if refs == 0 then
        note_citations(cite.citations)
        return nil, false
      end
      if refs ~= #cite.citations then
        problem(pandoc.utils.stringify(cite.content)
          .. " mixes cross-references and citations; write them in separate brackets",
          "@" .. cite.citations[1].id)
        return nil, false
      end
      local out = pandoc.Inlines({})
      for i, c in ipairs(cite.citations) do
        local t, key = target_of(c.id)
        if not t then return nil, false end
        if i == 1 then consumed[#consumed + 1] = c.note_num end
        if i > 1 then out:extend({ pandoc.Str(","), pandoc.Space() }) end
        local prefix = #c.prefix > 0 and c.prefix or nil
        out:insert(pandoc.Link(ref_text(t, prefix, c.mode == "SuppressAuthor"), "#" .. key, "",
          { class = "quarto-xref" }))
        out:extend(c.suffix)
      end
      return out, false
    end,
  })
  return renumber_notes(resolved, consumed)
end

-- --------------------------------------------------------------------------- the filter

local function report()
  local out = { chapters = {}, targets = {}, problems = problems, cited = {}, paths = {} }
  local null = pandoc.json.null
  for _, c in ipairs(chapters) do
    if c.kind ~= "other" then
      out.chapters[#out.chapters + 1] = {
        key = c.key, kind = c.kind, number = c.number or null, title = c.title or null,
        sec_id = c.sec_id or null,
      }
      out.cited[c.key] = cited[c.key] or {}
      out.paths[c.key] = paths[c.key] or {}
    end
  end
  for id, t in pairs(targets) do out.targets[id] = t.chapter end
  local fh = assert(io.open(REPORT, "w"))
  fh:write(pandoc.json.encode(out))
  fh:close()
end

function Pandoc(doc)
  scan(doc)
  doc = title_headings(doc)
  if REPORT then collect_paths(doc) end
  doc = number_document(doc)
  doc = resolve_document(doc)
  if not REPORT then return doc end
  report()
  return pandoc.Pandoc({})
end
