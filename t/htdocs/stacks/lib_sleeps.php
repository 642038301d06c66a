<?php
usleep(300000);
