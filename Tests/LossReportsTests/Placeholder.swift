// placeholder until the reports tests land
