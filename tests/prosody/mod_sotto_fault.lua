-- Test-only Prosody module: makes the network imperfect on purpose, for one encrypted message.
--
-- The file named by the option `sotto_fault_file` holds "<action> <n> <bare JID>": the n-th message
-- stanza carrying an XEP-0200 <c/> addressed to that JID, counted from when the file last changed, is
-- dropped (action "drop") or delivered twice (action "duplicate"). Every other stanza passes
-- untouched. An empty or missing file: no fault.
-- Loaded by scripts/local-server only when SOTTO_SERVER_TEST_MODULES=1.

local st = require "util.stanza";

local xep0200 = "http://www.xmpp.org/extensions/xep-0200.html#ns";
local fault_file = module:get_option_string("sotto_fault_file");

local jid_bare = require "util.jid".bare;

local spec_text, action, target, to, seen = nil, nil, 0, nil, 0;
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
		local a, n, j = text:match("^%s*(%a+)%s+(%d+)%s+(%S+)");
		action, target, to = a, tonumber(n) or 0, j;
	end
end

module:hook("message/full", function(event)
	if duplicating then return; end
	local stanza = event.stanza;
	if not stanza:get_child("c", xep0200) then return; end
	refresh();
	if not action or jid_bare(stanza.attr.to) ~= to then return; end
	seen = seen + 1;
	if seen ~= target then return; end
	if action == "drop" then
		module:log("info", "sotto_fault: dropping encrypted message %d", seen);
		return true; -- handled: never delivered
	elseif action == "duplicate" then
		module:log("info", "sotto_fault: duplicating encrypted message %d", seen);
		duplicating = true;
		module:send(st.clone(stanza));
		duplicating = false;
	end
end, 100);
