"""DiMP and PrDiMP for ltr (entry point ``dimp``), built on ltr-atom's IoU-Net."""
