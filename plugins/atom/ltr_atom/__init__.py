"""ltr-atom: ATOM's IoU-Net (Danelljan et al., CVPR 2019) for ltr."""
