"""How inbound messages become reports. Registered with the messaging router at start-up."""
