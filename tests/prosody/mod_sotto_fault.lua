-- Test-only Prosody module: makes the network imperfect on purpose, for one message.
--
-- The file named by the option `sotto_fault_file` holds "<action> <n> <bare JID> [<kind>]": the n-th
-- message stanza of that kind addressed to that JID, counted from when the file last changed, is
--   drop       never delivered;
--   duplicate  delivered twice;
--   corrupt    delivered with one character of its `mac` field changed (a negotiation message whose
--              identity proof no longer verifies).
-- Kinds: "c" (the default) counts messages carrying an XEP-0200 <c/>; "neg" counts ESession and
-- XEP-0155 negotiation messages (a feature-negotiation form or XEP-0116's <init/>) without one.
-- Every other stanza passes untouched. An empty or missing file: no fault.
-- Loaded by scripts/local-server only when SOTTO_SERVER_TEST_MODULES=1.

local st = require "util.stanza";

local xep0200 = "http://www.xmpp.org/extensions/xep-0200.html#ns";
local feature_neg = "http://jabber.org/protocol/feature-neg";
local esession_init = "http://www.xmpp.org/extensions/xep-0116.html#ns-init";
local data_forms = "jabber:x:data";
local fault_file = module:get_option_string("sotto_fault_file");

local jid_bare = require "util.jid".bare;

local spec_text, action, target, to, kind, seen = nil, nil, 0, nil, "c", 0;
local duplicating = false;

local function refresh()
	local f = fault_file and io.open(fault_file, "r");
	local text = "";
	if f then
		text = f:read("*a") or "";
		f:close();
	end
	if text ~= spec_text then
		spec_text = text;
		seen = 0;
		local a, n, j, k = text:match("^%s*(%a+)%s+(%d+)%s+(%S+)%s*(%a*)");
		action, target, to = a, tonumber(n) or 0, j;
		kind = (k and k ~= "") and k or "c";
	end
end

local function form_of(stanza)
	local wrapper = stanza:get_child("feature", feature_neg) or stanza:get_child("init", esession_init);
	return wrapper and wrapper:get_child("x", data_forms);
end

local function is_kind(stanza)
	if kind == "c" then
		return stanza:get_child("c", xep0200) ~= nil;
	elseif kind == "neg" then
		return stanza:get_child("c", xep0200) == nil and form_of(stanza) ~= nil;
	end
	return false;
end

-- Changes the first character of the `mac` field's value (Base64 stays Base64).
local function corrupt_mac(stanza)
	local form = form_of(stanza);
	if not form then return false; end
	for field in form:childtags("field", data_forms) do
		if field.attr.var == "mac" then
			local value = field:get_child("value", data_forms);
			local text = value and value:get_text();
			if text and #text > 0 then
				local first = text:sub(1, 1);
				local replacement = first == "A" and "B" or "A";
				value[1] = replacement .. text:sub(2);
				return true;
			end
		end
	end
	return false;
end

local function handle(event)
	if duplicating then return; end
	local stanza = event.stanza;
	refresh();
	if not action or jid_bare(stanza.attr.to) ~= to or not is_kind(stanza) then return; end
	seen = seen + 1;
	if seen ~= target then return; end
	if action == "drop" then
		module:log("info", "sotto_fault: dropping message %d (%s)", seen, kind);
		return true; -- handled: never delivered
	elseif action == "duplicate" then
		module:log("info", "sotto_fault: duplicating message %d (%s)", seen, kind);
		duplicating = true;
		module:send(st.clone(stanza));
		duplicating = false;
	elseif action == "corrupt" then
		module:log("info", "sotto_fault: corrupting the mac of message %d (%s): %s", seen, kind,
			tostring(corrupt_mac(stanza)));
	end
end

module:hook("message/full", handle, 100);
module:hook("message/bare", handle, 100);
